"""Questions the pages ask of scored customers: KPIs, profiles, slices, snapshots over time, action lists."""
