# Regenerate firth_brglm2.json:  Rscript tests/data/predictive/firth_brglm2.R > tests/data/predictive/firth_brglm2.json
# R 4.2.2, brglm2 0.9 (Debian bookworm: apt-get install r-base-core r-cran-brglm2)
suppressMessages(library(brglm2))
d <- read.csv("tests/data/predictive/firth_cells.csv")
d$g <- factor(d$g)
fit <- function(f) glm(f, family = binomial, data = d, method = "brglmFit",
                       type = "MPL_Jeffreys", epsilon = 1e-12, maxit = 500)
pl <- function(m) {  # penalised log-likelihood without the binomial coefficients
  X <- model.matrix(m); p <- fitted(m); w <- d$n * p * (1 - p)
  sum(d$s * log(p) + (d$n - d$s) * log(1 - p)) +
    0.5 * as.numeric(determinant(t(X) %*% (X * w), logarithm = TRUE)$modulus)
}
full <- fit(cbind(s, n - s) ~ g + x)
red <- fit(cbind(s, n - s) ~ x)
cat(sprintf('{"full_coef": [%s], "reduced_coef": [%s], "full_pll": %.15g, "reduced_pll": %.15g}\n',
  paste(sprintf("%.15g", coef(full)), collapse = ", "),
  paste(sprintf("%.15g", coef(red)), collapse = ", "), pl(full), pl(red)))
