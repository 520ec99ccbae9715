package io.hexgate.operator.endpoint.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** The endpoint's addresses and the IP of the node it runs on. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class EndpointNetworking {
  public List<AddressPair> addressing;
  public String node;

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class AddressPair {
    public String ipv4;
    public String ipv6;

    public AddressPair() {}

    public AddressPair(String ipv4, String ipv6) {
      this.ipv4 = ipv4;
      this.ipv6 = ipv6;
    }
  }
}
