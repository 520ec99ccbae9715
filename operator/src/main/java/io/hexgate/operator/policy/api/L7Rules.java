package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/** L7 rules of a port rule. Only one kind may be set; HTTP is enforced, the others are kept. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class L7Rules {
  public List<HttpRule> http;
  public List<KafkaRule> kafka;
  public List<DnsRule> dns;
  public String l7proto;
  public List<Map<String, String>> l7;

  public L7Rules() {}

  public L7Rules(List<HttpRule> http) {
    this.http = http;
  }
}
