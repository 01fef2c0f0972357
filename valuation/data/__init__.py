"""Data in: reading and mapping files, the DuckDB store, Parquet sources, the feature SQL and its engines, the sample."""
