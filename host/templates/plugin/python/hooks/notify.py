class Notify(exports.Notify):
    """Writes every lifecycle event to ristretto's log."""

    def notify(self, ctx, event):
        kind = event.kind.name.lower().replace("_", "-")
        log.write(log.Level.INFO, f"{ctx.cluster}/{ctx.service} {kind}: {event.message}")
