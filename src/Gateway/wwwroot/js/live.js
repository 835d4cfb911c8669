// The SignalR connection to /hubs/jobs: all-jobs updates plus the one job shown in detail.

export class LiveJobs {
  constructor({ getKey, onJob, onStatus, onResync, onUnauthorized }) {
    this.watched = null;
    this.started = false;
    this.onStatus = onStatus;
    this.onResync = onResync;
    this.connection = new signalR.HubConnectionBuilder()
      .withUrl("/hubs/jobs", { accessTokenFactory: () => getKey() ?? "" })
      .withAutomaticReconnect({ nextRetryDelayInMilliseconds: (ctx) => Math.min(10000, 500 * 2 ** ctx.previousRetryCount) })
      .configureLogging(signalR.LogLevel.Warning)
      .build();
    this.connection.on("jobUpdated", onJob);
    this.connection.onreconnecting(() => onStatus("wait", "reconnecting"));
    this.connection.onreconnected(async () => {
      await this.subscribe();
      onStatus("on", "live");
      onResync();
    });
    this.connection.onclose(() => {
      onStatus("off", "disconnected");
      setTimeout(() => this.start().catch(() => {}), 3000);
    });
    this.onUnauthorized = onUnauthorized;
  }

  async start() {
    if (this.connection.state !== signalR.HubConnectionState.Disconnected) return;
    try {
      await this.connection.start();
    } catch (error) {
      this.onStatus("off", "not connected");
      if (String(error).includes("401")) this.onUnauthorized();
      throw error;
    }
    await this.subscribe();
    this.onStatus("on", "live");
    // After the gateway closed the connection (this client fell behind, or updates may have been
    // missed), what is on the page may be stale: read it again.
    if (this.started) this.onResync();
    this.started = true;
  }

  async stop() {
    await this.connection.stop();
  }

  async subscribe() {
    await this.connection.invoke("SubscribeAll");
    if (this.watched) await this.connection.invoke("SubscribeJob", this.watched).catch(() => {});
  }

  // Watches one job; its current view arrives at once through jobUpdated.
  async watch(id) {
    const previous = this.watched;
    this.watched = id;
    if (this.connection.state !== signalR.HubConnectionState.Connected) return;
    if (previous && previous !== id) await this.connection.invoke("UnsubscribeJob", previous).catch(() => {});
    if (id) await this.connection.invoke("SubscribeJob", id);
  }
}
