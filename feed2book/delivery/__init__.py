"""Getting books onto devices: e-mail delivery, the Kindle preflight, device profiles."""
