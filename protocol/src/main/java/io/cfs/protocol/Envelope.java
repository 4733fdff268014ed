package io.cfs.protocol;

import io.cfs.protocol.message.Message;

/** A message with the request id that pairs a reply with its request. */
public record Envelope(long requestId, Message message) {}
