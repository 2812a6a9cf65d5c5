# ConsensusClusterPlus reference on blobs_separated (a): PAC(0.1, 0.9), consensus CDF and
# CCP's area / delta area per k, from the returned consensus matrices.
SCRIPT_NAME <- "consensus.R"
source(file.path("scripts", "r_reference", "common.R"))
suppressPackageStartupMessages(library(ConsensusClusterPlus))

SEED <- 20240611L; MAXK <- 6L; REPS <- 200L; PITEM <- 0.8

pac_of <- function(M, lower = 0.1, upper = 0.9) {
  v <- M[lower.tri(M)]
  Fn <- ecdf(v)
  Fn(upper) - Fn(lower)
}

one <- function(file) {
  X <- xy(read_input(file))
  d <- t(X)                                  # ConsensusClusterPlus wants items in columns
  colnames(d) <- paste0("i", seq_len(ncol(d)))
  pdf(NULL)                                  # CCP always draws; send it nowhere
  res <- suppressMessages(ConsensusClusterPlus(d, maxK = MAXK, reps = REPS, pItem = PITEM,
           pFeature = 1, clusterAlg = "km", distance = "euclidean", seed = SEED,
           plot = NULL, writeTable = FALSE, verbose = FALSE))
  dev.off()
  grid <- (0:100) / 100
  ks <- 2:MAXK
  pac <- sapply(ks, function(k) pac_of(res[[k]]$consensusMatrix))
  cdf <- lapply(ks, function(k) { M <- res[[k]]$consensusMatrix; ecdf(M[lower.tri(M)])(grid) })
  # ConsensusClusterPlus:::CDF: area under the histogram CDF (100 bins), delta area
  area <- sapply(ks, function(k) {
    M <- res[[k]]$consensusMatrix
    h <- hist(M[lower.tri(M)], plot = FALSE, breaks = seq(0, 1, by = 1 / 100))
    F <- cumsum(h$counts) / sum(h$counts)
    sum(F * diff(h$breaks))
  })
  delta <- c(area[1], diff(area) / area[-length(area)])
  list(input = paste0("inputs/", file), n = ncol(d), k = ks,
       pac = pac, cdf = cdf, area = area, delta_area = delta,
       consensus_class = lapply(ks, function(k) unname(as.integer(res[[k]]$consensusClass))))
}

write_fixture(list(
  call = paste0("ConsensusClusterPlus(t(X), maxK = ", MAXK, ", reps = ", REPS, ", pItem = ",
                PITEM, ", pFeature = 1, clusterAlg = 'km', distance = 'euclidean', seed = ",
                SEED, ")"),
  definition = paste(
    "Each rep: floor(0.8 n) items sampled without replacement; for each k, kmeans(subsample,",
    "k, iter.max = 10, nstart = 1). M[i,j] = #(together) / #(both sampled) (0 if never both",
    "sampled). pac[k] = ecdf(lower-triangle of M)(0.9) - ecdf(...)(0.1) (fraction in",
    "(0.1, 0.9]); cdf[k] = that ecdf at grid = (0:100)/100. area[k] = ConsensusClusterPlus",
    "CDF area = sum_{i=1..100} 0.01 * F(i/100) (histogram CDF, 100 right-closed bins);",
    "delta_area[1] = area[k=2], delta_area[k] = (area[k] - area[k-1]) / area[k-1].",
    "consensus_class = CCP's final labels (hclust average on 1 - M, cut at k).",
    "Random (kmeans starts, subsamples): compare with a tolerance."),
  maxK = MAXK, reps = REPS, pItem = PITEM, seed = SEED, grid = (0:100) / 100,
  datasets = list(blobs_separated = one("blobs_separated.csv"),
                  blobs_overlap = one("blobs_overlap.csv"),
                  uniform = one("uniform.csv"))
), "consensus_clusterplus.json", pkgs = "ConsensusClusterPlus")
