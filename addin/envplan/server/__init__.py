"""`envplan serve`: the section's server (department uploads, section pages)."""
