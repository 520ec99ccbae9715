package io.hexgate.operator.endpoint.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** A container port with a name, which policies may refer to by that name. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NamedPort {
  public String name;
  public Integer port;
  public String protocol;

  public NamedPort() {}

  public NamedPort(String name, Integer port, String protocol) {
    this.name = name;
    this.port = port;
    this.protocol = protocol;
  }
}
