"""Deep tabular generators built in (issue #20): a TabDDPM-style diffusion model and a CTGAN-style GAN, on the CPU
torch the project uses (tutorial sections 3.2 and 3.5)."""
