"""A benign, generated demo: images made by code, a demo hash set, an evidence folder."""
