"""The metrics store, the KPI catalog and the engine that answers query plans."""
