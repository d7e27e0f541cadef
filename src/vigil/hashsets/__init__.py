"""Hash sets: formats, category schemes and the hash library."""
