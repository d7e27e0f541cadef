"""Routes, one module per area; each declares its access rules with ``access.route``."""
