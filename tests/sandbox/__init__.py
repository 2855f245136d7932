"""Tests of the generated sandbox company and the mapping diff."""
