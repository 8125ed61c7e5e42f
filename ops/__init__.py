"""Operations: process supervision, Prometheus rules, Grafana dashboards."""
