"""What operators watch: structured logs with request, firm, task and run ids (`logs`), and
Prometheus metrics (`metrics`)."""
