"""Understanding questions offline: language, period, KPI, breakdown, filters, the asker."""
