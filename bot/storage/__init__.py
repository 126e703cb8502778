"""Every line of SQL lives under this package; it never imports telegram."""
