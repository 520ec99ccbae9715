package io.hexgate.bench.proxy;

/** wrk Lua scripts of the proxy benchmark. */
final class WrkScripts {
  /** The request of the Star Wars policy's L7 rule: POST to the URL's path, an empty body. */
  static final String POST = """
      wrk.method = "POST"
      wrk.body = ""
      """;

  private WrkScripts() {}
}
