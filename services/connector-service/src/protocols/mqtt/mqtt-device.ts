import type { DeviceCommand, PointMapping } from '@openfoundry/bus-registry';
import mqtt, { type MqttClient } from 'mqtt';
import { type CommandResult, DeviceRuntime } from '../../devices/device-runtime.ts';
import { reject } from '../../ingest/normalise.ts';
import { readPayload } from './payload.ts';
import { commandTopic, compileTopic, matchTopic, type TopicPattern } from './topics.ts';

/** How long a stop waits for the message being written to Kafka before it disconnects anyway. */
const STOP_DRAIN_MS = 5_000;
/** How long `end` may wait for PUBACKs of our own command publishes before the socket is cut. */
const END_TIMEOUT_MS = 2_000;
const RECONNECT_MS = 1_000;
/**
 * After the broker handed the session to another connection with our client id (MQTT 5 reason code
 * 0x8E), reconnect more slowly: that connection is usually the replica this device just moved to, and
 * taking the session straight back would bounce it between the two until the coordinator's next
 * assignment arrives here.
 */
const TAKEN_OVER_RECONNECT_MS = 5_000;
const SESSION_TAKEN_OVER = 0x8e;

interface CompiledPoint {
  point: PointMapping;
  pattern: TopicPattern;
}

/**
 * An MQTT device: subscribes its points' topics with QoS 1 on a persistent session and sends PUBACK
 * only after Kafka acknowledged the asset event (or its dead letter). Until then the broker holds
 * the message, and mqtt.js reads the next packet only after this one is acknowledged, which is also
 * how a slow Kafka slows the device down.
 *
 * Stopping hands the session over cleanly: no further message is taken, the one being written to
 * Kafka is finished and acknowledged, then the client disconnects. Messages the broker had already
 * sent but this client had not taken stay unacknowledged in the persistent session and go to the
 * session's next connection, so a device moving between replicas neither loses nor repeats a message.
 */
export class MqttDevice extends DeviceRuntime {
  private client: MqttClient | undefined;
  private points: CompiledPoint[] = [];
  private stopping = false;
  /** The message being written to Kafka, settled once its PUBACK (or its failure) went to mqtt.js. */
  private handling: Promise<void> | undefined;

  async start(): Promise<void> {
    const { spec } = this;
    if (!spec.endpoint) throw new Error('an MQTT device needs an endpoint');
    this.points = spec.points
      .filter((p): p is PointMapping & { topic: string } => p.topic !== undefined)
      .map((point) => ({ point, pattern: compileTopic(point.topic) }));
    const client = mqtt.connect(spec.endpoint, {
      clientId: `openfoundry-${spec.tenant}-${spec.id}`.slice(0, 128),
      // mqtt.js honours customHandleAcks on MQTT 5 only; the session outlives a disconnect for an
      // hour so QoS 1 messages not yet acknowledged are redelivered after a reconnect.
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 3_600 },
      reconnectPeriod: RECONNECT_MS,
      connectTimeout: 10_000,
      ...(spec.credentials
        ? { username: spec.credentials.username, password: spec.credentials.password }
        : {}),
      customHandleAcks: (topic, message, _packet, done) => {
        // Stopping: not taken, not acknowledged; the broker gives it to the session's next connection.
        if (this.stopping) return;
        this.handling = this.handle(topic, message).then(
          () => done(0),
          (error: Error) => {
            // No PUBACK: the broker keeps the message and redelivers it after the reconnect.
            this.deps.log('error', 'publishing device data failed; reconnecting', {
              device: this.key,
              err: error.message,
            });
            done(error);
            client.stream?.destroy();
          },
        );
      },
    });
    this.client = client;
    client.on('connect', () => {
      client.options.reconnectPeriod = RECONNECT_MS;
      const filters = [...new Set(this.points.map((p) => p.pattern.filter))];
      if (filters.length === 0) return this.setStatus('online');
      client.subscribe(filters, { qos: 1 }, (error) => {
        if (error) this.setStatus('error', `subscribe failed: ${error.message}`);
        else this.setStatus('online');
      });
    });
    client.on('message', (topic, message, packet) => {
      // QoS 1/2 messages went through customHandleAcks already; QoS 0 has no acknowledgement.
      if (packet.qos === 0)
        void this.handle(topic, message).catch((error: Error) =>
          // QoS 0 has no redelivery: the loss is at least logged.
          this.deps.log('error', 'a QoS 0 message could not be published and is lost', {
            device: this.key,
            topic,
            err: error.message,
          }),
        );
    });
    client.on('disconnect', (packet) => {
      if (packet.reasonCode !== SESSION_TAKEN_OVER) return;
      client.options.reconnectPeriod = TAKEN_OVER_RECONNECT_MS;
      this.setStatus('offline', 'session taken over by another connection with this client id');
    });
    client.on('close', () => {
      if (this.status === 'online') this.setStatus('offline', 'connection closed; reconnecting');
    });
    client.on('error', (error) => this.setStatus('error', error.message));
    client.on('offline', () => this.setStatus('offline', `cannot reach ${spec.endpoint}`));
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.stopping = true;
    // Its PUBACK is written before the DISCONNECT below. If Kafka does not answer in time the message
    // stays unacknowledged with the broker (a late Kafka acknowledgement then makes it a duplicate).
    if (this.handling) await within(this.handling, STOP_DRAIN_MS);
    if (client) {
      const ended = await within(
        client.endAsync(false).then(() => true),
        END_TIMEOUT_MS,
      ).catch(() => false);
      if (!ended) client.end(true);
    }
    this.setStatus('offline', 'stopped');
  }

  private async handle(topic: string, message: Buffer): Promise<void> {
    await this.deps.sink.room();
    for (const { point, pattern } of this.points) {
      const captured = matchTopic(pattern, topic);
      if (!captured) continue;
      const asset = point.asset ?? captured.asset ?? this.spec.id;
      const attribute = point.attribute ?? captured.attribute;
      const observation = attribute
        ? readPayload(message, point, asset, attribute)
        : reject('schema', `point ${point.topic} names no attribute`);
      await this.ingest([{ observation, raw: message, location: topic }]);
      return;
    }
    // Only possible with overlapping subscriptions of another session; still never dropped silently.
    await this.ingest([
      { observation: reject('unknown-asset', 'no point matches the topic'), raw: message, location: topic },
    ]);
  }

  async command(command: DeviceCommand): Promise<CommandResult> {
    const client = this.client;
    if (!client?.connected) return { ok: false, code: 'offline', message: `${this.key} is not connected` };
    let topic: string;
    let payload: string;
    if (command.action === 'publish') {
      if (/[+#]/.test(command.target))
        return { ok: false, code: 'invalid', message: 'target is a topic filter' };
      topic = command.target;
      payload =
        typeof command.arguments === 'string' ? command.arguments : JSON.stringify(command.arguments ?? null);
    } else if (command.action === 'write') {
      const point = this.writePoint(command);
      if (!point?.topic)
        return {
          ok: false,
          code: 'invalid',
          message: `${command.assetId} has no MQTT point ${command.target}`,
        };
      if (!point.writable)
        return { ok: false, code: 'refused', message: `${command.target} is not writable` };
      const target = commandTopic(point.topic, command.assetId, command.target);
      if (!target) return { ok: false, code: 'invalid', message: `point topic ${point.topic} has wildcards` };
      if (command.arguments === undefined)
        return { ok: false, code: 'invalid', message: 'a write needs a value' };
      topic = target;
      payload =
        point.payload === 'json'
          ? JSON.stringify({ value: command.arguments, commandId: command.commandId })
          : typeof command.arguments === 'string'
            ? command.arguments
            : JSON.stringify(command.arguments);
    } else {
      return { ok: false, code: 'invalid', message: 'MQTT devices take write and publish commands' };
    }
    await client.publishAsync(topic, payload, { qos: 1 });
    return { ok: true, result: { topic } };
  }

  /** The point for (asset, attribute): an exact mapping first, then a topic with placeholders. */
  private writePoint(command: DeviceCommand): PointMapping | undefined {
    const exact = this.pointFor(command);
    if (exact) return exact;
    return this.spec.points.find(
      (p) =>
        p.topic !== undefined &&
        (p.attribute === command.target || (p.attribute === undefined && p.topic.includes('{attribute}'))) &&
        (p.asset === command.assetId ||
          (p.asset === undefined && (p.topic.includes('{asset}') || command.assetId === this.spec.id))),
    );
  }
}

/** Resolves with the promise's value, or with undefined once `ms` passed. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
