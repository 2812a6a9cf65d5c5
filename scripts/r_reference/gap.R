# Gap statistic references: cluster::clusGap with kmeans (nstart = 20), K.max = 8, B = 500,
# spaceH0 = "scaledPCA", d.power = 1, on blobs_separated (a), blobs_overlap (b), uniform (d).
SCRIPT_NAME <- "gap.R"
source(file.path("scripts", "r_reference", "common.R"))
suppressPackageStartupMessages(library(cluster))

K_MAX <- 8L; B <- 500L; NSTART <- 20L; SEED <- 20240611L

# W_k exactly as clusGap's internal W.k (d.power = 1):
# 0.5 * sum over clusters r of (sum over unordered pairs i<j in r of ||x_i - x_j||) / n_r
w_k <- function(X, clus, d.power = 1) {
  0.5 * sum(vapply(split(seq_len(nrow(X)), clus), function(I) {
    xs <- X[I, , drop = FALSE]; sum(dist(xs)^d.power / nrow(xs)) }, 0))
}

one <- function(file) {
  X <- xy(read_input(file))
  # kmeans wrapper that records the partition clusGap uses for logW on the observed data;
  # it draws the same random numbers as plain kmeans(X, k, nstart = 20).
  parts <- list()
  fun <- function(x, k, ...) {
    r <- kmeans(x, k, nstart = NSTART)
    if (identical(x, X)) parts[[as.character(k)]] <<- as.integer(r$cluster)
    r
  }
  set.seed(SEED)
  g <- clusGap(X, FUNcluster = fun, K.max = K_MAX, B = B, spaceH0 = "scaledPCA",
               d.power = 1, verbose = FALSE)
  tab <- as.data.frame(g$Tab)
  parts[["1"]] <- rep(1L, nrow(X))
  logw_check <- sapply(1:K_MAX, function(k) log(w_k(X, parts[[as.character(k)]])))
  stopifnot(isTRUE(all.equal(logw_check, tab$logW, tolerance = 1e-12)))
  picks <- list()
  for (m in c("Tibs2001SEmax", "firstSEmax", "globalSEmax", "firstmax", "globalmax"))
    picks[[m]] <- maxSE(tab$gap, tab$SE.sim, method = m, SE.factor = 1)
  list(input = paste0("inputs/", file), n = nrow(X), k = 1:K_MAX,
       logW = tab$logW, E.logW = tab$E.logW, gap = tab$gap, SE.sim = tab$SE.sim,
       mc_se_E.logW = tab$SE.sim / sqrt(1 + 1 / B) / sqrt(B),
       picks = picks,
       partitions = lapply(1:K_MAX, function(k) parts[[as.character(k)]]))
}

res <- list()
for (f in c("blobs_separated.csv", "blobs_overlap.csv", "uniform.csv"))
  res[[sub("\\.csv$", "", f)]] <- one(f)

write_fixture(list(
  call = paste0("set.seed(", SEED, "); cluster::clusGap(X, FUNcluster = kmeans, nstart = ",
                NSTART, ", K.max = ", K_MAX, ", B = ", B,
                ", spaceH0 = 'scaledPCA', d.power = 1)"),
  definition = paste(
    "logW[k] = log(W_k), W_k = 0.5 * sum_r (sum_{i<j in r} ||x_i - x_j||^d.power) / n_r",
    "(d.power = 1: plain Euclidean, NOT squared; unordered pairs), partitions = the kmeans",
    "partitions (labels 1..k, rows in input order) clusGap used for logW.",
    "Reference sets (scaledPCA): centre X, rotate by V of svd(Xc), draw uniform in the",
    "range of each rotated column, rotate back, add the mean. E.logW = mean over B sets,",
    "SE.sim = sqrt(1 + 1/B) * sd(logW*), gap = E.logW - logW.",
    "Tibs2001SEmax: smallest k with gap[k] >= gap[k+1] - SE.sim[k+1] (else K.max).",
    "E.logW, gap, SE.sim are Monte Carlo: compare with a tolerance of a few mc_se_E.logW",
    "(= sd(logW*)/sqrt(B)); logW is deterministic given the partitions."),
  B = B, K.max = K_MAX, nstart = NSTART, seed = SEED, spaceH0 = "scaledPCA", d.power = 1,
  datasets = res
), "gap_statistic.json", pkgs = "cluster")
