package io.hexgate.datapath.proxy;

import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;

/** Netty's response encoder, told by the connection whether the response answers a HEAD (no body). */
final class ResponseEncoder extends HttpResponseEncoder {
  private boolean headRequest;

  void answering(Exchange e) {
    headRequest = e.head;
  }

  @Override
  protected boolean isContentAlwaysEmpty(HttpResponse msg) {
    return (headRequest && msg.status().codeClass() != HttpStatusClass.INFORMATIONAL)
        || super.isContentAlwaysEmpty(msg);
  }
}
