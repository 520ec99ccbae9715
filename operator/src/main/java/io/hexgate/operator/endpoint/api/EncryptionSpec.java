package io.hexgate.operator.endpoint.api;

import com.fasterxml.jackson.annotation.JsonInclude;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class EncryptionSpec {
  /** Index of the encryption key; 0 means no encryption. */
  public Integer key;
}
