"""Statistical models. Only this package imports statsmodels, and lazily.

(``formfit --help`` stays instant.)
"""
