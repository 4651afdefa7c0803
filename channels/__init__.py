"""Channel adapters: one package per channel, all behind the contract of `channels.base`."""
