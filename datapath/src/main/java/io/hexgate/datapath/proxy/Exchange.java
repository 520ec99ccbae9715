package io.hexgate.datapath.proxy;

/** One request on a client connection, from its head to the end of its response. */
final class Exchange {
  final String method;
  final String url;
  final String protocol;
  final HeaderList requestHeaders;
  final long startNanos;
  final ConnectionPolicy policy;
  /** A HEAD request: its response has no body, whatever its head says. */
  final boolean head;
  /** The status the proxy answers itself (denied, malformed, unreachable upstream); 0: the server answers. */
  int localStatus;
  /** Close the client connection once this exchange's response is written. */
  boolean closeAfter;
  boolean upgradeAllowed;
  /** A request that was read (not a malformed one): its answer is reported in flows and metrics. */
  boolean observed = true;

  Exchange(String method, String url, String protocol, HeaderList requestHeaders, ConnectionPolicy policy) {
    this.method = method;
    this.url = url;
    this.protocol = protocol;
    this.requestHeaders = requestHeaders;
    this.policy = policy;
    this.head = "HEAD".equals(method);
    this.startNanos = System.nanoTime();
  }
}
