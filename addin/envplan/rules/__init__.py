"""The rules that judge a plan: attainment, the status of each indicator and year,
Open SDG progress, suggested policy ratings, which years are closed, and computing
a whole plan into its result models. Pure; may use `plan` only."""
