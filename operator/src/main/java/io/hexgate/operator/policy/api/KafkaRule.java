package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Kafka L7 rule: parsed and kept, not enforced. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class KafkaRule {
  public String role;
  public String apiKey;
  public String apiVersion;
  public String clientID;
  public String topic;
}
