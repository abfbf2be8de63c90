"""Benchmarks of alicloud.cas (run by `make bench` through scripts/bench.sh; not collected by pytest)."""
