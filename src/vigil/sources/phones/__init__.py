"""Phone extractions: iOS backups, Android adb backups, Cellebrite UFDR.

Each format is a container reader in the archive registry, so matching,
indicators, reports and the review app see phone files like any others, with
locators that carry the path as it was on the phone.
"""
