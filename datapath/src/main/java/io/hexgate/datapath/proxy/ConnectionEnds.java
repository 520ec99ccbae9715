package io.hexgate.datapath.proxy;

import java.net.InetSocketAddress;

/**
 * A redirected connection's ends as the datapath saw them: the client, the server it asked for, whose policy
 * redirected it, and the proxy port it landed on.
 */
record ConnectionEnds(ProxyDirection direction, InetSocketAddress client, InetSocketAddress server,
    int proxyPort) {}
