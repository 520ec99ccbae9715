package io.hexgate.datapath.proxy;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;

/** One request on a client connection, from its head to the end of its response. */
final class Exchange {
  final String method;
  final String url;
  final String protocol;
  final HttpHeaders requestHeaders;
  final long startNanos;
  final ConnectionPolicy policy;
  final boolean head;
  /** Answered by the proxy itself (denied, malformed, unreachable upstream) instead of the server. */
  HttpResponse localResponse;
  /** Close the client connection once this exchange's response is written. */
  boolean closeAfter;
  boolean upgradeAllowed;
  /** A request that was read (not a malformed one): its answer is reported in flows and metrics. */
  boolean observed = true;

  Exchange(String method, String url, String protocol, HttpHeaders requestHeaders, ConnectionPolicy policy) {
    this.method = method;
    this.url = url;
    this.protocol = protocol;
    this.requestHeaders = requestHeaders;
    this.policy = policy;
    this.head = HttpMethod.HEAD.name().equals(method);
    this.startNanos = System.nanoTime();
  }
}
