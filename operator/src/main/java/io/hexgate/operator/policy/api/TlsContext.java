package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class TlsContext {
  public SecretRef secret;
  public String trustedCA;
  public String certificate;
  public String privateKey;
}
