"""Reproducible speed, memory and quality benchmarks (`make bench`)."""
