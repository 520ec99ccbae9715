package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** One HTTP rule; every field set must match, and an empty rule matches every request. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class HttpRule {
  public String path;
  public String method;
  public String host;
  public List<String> headers;
  public List<HeaderMatch> headerMatches;

  public HttpRule() {}

  public HttpRule(String method, String path) {
    this.method = method;
    this.path = path;
  }
}
