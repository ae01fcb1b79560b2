"""Scripts that print figures (`make bench`); not tests."""
