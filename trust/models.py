"""Public member pages, misuse reports and grievances, logo-use approval (DESIGN §6)."""
