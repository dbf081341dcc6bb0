"""Copies of standards bodies' own files (each folder keeps its upstream licence): read by the code and the tests."""
