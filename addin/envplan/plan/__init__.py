"""The plan's domain language: the typed model (indicators, targets, projects,
policies), target wordings, fiscal and era years, numbers as people type them,
and the diagnostics that name a problem. Imports nothing of envplan but `paths`."""
