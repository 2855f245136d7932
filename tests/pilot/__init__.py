"""Tests of the pilot: shadow book, comparison with the old process, cutover."""
