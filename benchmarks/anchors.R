# The anchors' analysis of one data set, timed: fpc::clusterboot for each k, fpc::prediction.strength
# and cluster::clusGap, k-means at k = 2..KMAX with B resamples each, with the packages' defaults
# (kmeansCBI and kmeans with one start). Called by benchmarks/select_k.py --anchors in the same run
# as ours: Rscript benchmarks/anchors.R data.csv B KMAX
args <- commandArgs(trailingOnly = TRUE)
X <- as.matrix(read.csv(args[1]))
B <- as.integer(args[2]); KMAX <- as.integer(args[3])
suppressPackageStartupMessages({ library(fpc); library(cluster); library(jsonlite) })
set.seed(1)
start <- proc.time()[["elapsed"]]
boot <- sapply(2:KMAX, function(k) {
  cb <- clusterboot(X, B = B, bootmethod = "boot", clustermethod = kmeansCBI, krange = k, count = FALSE, seed = k)
  mean(cb$bootmean)
})
t_boot <- proc.time()[["elapsed"]] - start
ps <- prediction.strength(X, Gmin = 2, Gmax = KMAX, M = B, clustermethod = kmeansCBI)
t_ps <- proc.time()[["elapsed"]] - start - t_boot
gap <- clusGap(X, FUNcluster = function(x, k) kmeans(x, k, iter.max = 100), K.max = KMAX, B = B, verbose = FALSE)
t_gap <- proc.time()[["elapsed"]] - start - t_boot - t_ps
cat(toJSON(list(seconds = proc.time()[["elapsed"]] - start, clusterboot_seconds = t_boot,
                prediction_strength_seconds = t_ps, clusgap_seconds = t_gap,
                prediction_strength_k = ps$optimalk,
                gap_k = maxSE(gap$Tab[, "gap"], gap$Tab[, "SE.sim"], method = "Tibs2001SEmax")),
           auto_unbox = TRUE), "\n")
