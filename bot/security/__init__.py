"""What must not be forged or kept: signed customer identity, and secrets redacted from what the
desk stores."""
