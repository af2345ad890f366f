"""Monitoring: baselines recorded at save, drift facts for gates, the monitoring service and its views."""
