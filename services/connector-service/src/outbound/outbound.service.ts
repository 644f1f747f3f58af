import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type AssetEvent, topics } from '@openfoundry/bus-registry';
import type { BusMessage, DataBus, DataConsumer } from '@openfoundry/event-bus-data';
import { InjectConfig, InjectDataBus } from '@openfoundry/service-kit';
import mqtt, { type MqttClient } from 'mqtt';
import type { ConnectorConfig } from '../config.ts';
import { DeviceManager } from '../devices/device-manager.ts';

const WEBHOOK_TIMEOUT_MS = 5_000;
/** How often the running devices are checked for outbound rules. */
const RULES_CHECK_MS = 1_000;

/**
 * The outbound "socket" adapter: asset events matching a running device's `outbound` rules go out
 * to an MQTT topic on the device's broker or are POSTed to a webhook. It reads the asset stream as
 * the `connector-service.outbound` group, so each replica sees the partitions it was given and
 * applies the rules of the devices it runs.
 *
 * It is a live push: a replica reads the stream only while one of its devices has outbound rules
 * (reading and decoding every event otherwise costs as much as ingesting it), and each time it
 * starts reading it starts at the end of the stream. Events that arrive while no replica with a
 * rule reads a partition (a restart, partitions moving between replicas) are not pushed; the asset
 * stream keeps them for anyone who needs every event.
 */
@Injectable()
export class OutboundService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboundService.name);
  private consumer: DataConsumer<AssetEvent> | undefined;
  /** Starting or stopping the consumer, one change at a time. */
  private switching: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly clients = new Map<string, MqttClient>();
  readonly stats = { sent: 0, failed: 0 };

  constructor(
    // Null only while the OpenAPI document is built without buses.
    @InjectDataBus() private readonly bus: DataBus | null,
    private readonly devices: DeviceManager,
    @InjectConfig() private readonly config: ConnectorConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.CONNECTOR_OUTBOUND || !this.bus) return;
    this.timer = setInterval(() => void this.follow(), RULES_CHECK_MS);
    this.timer.unref();
  }

  /** Whether this replica reads the asset stream (it does only while a device has outbound rules). */
  get reading(): boolean {
    return this.consumer !== undefined;
  }

  /** Starts reading when a running device has outbound rules, stops when none has. */
  follow(): Promise<void> {
    this.switching = this.switching.then(async () => {
      const bus = this.bus;
      if (this.stopped || !bus) return;
      const wanted = this.devices.all().some((device) => (device.spec.outbound ?? []).length > 0);
      try {
        if (wanted && !this.consumer) {
          this.consumer = await bus.consume<AssetEvent>(topics.assetEvents, {
            group: 'connector-service.outbound',
            start: 'latest',
            handler: (message) => this.handle(message),
          });
          this.logger.log({ msg: 'outbound rules running: reading the asset stream' });
        } else if (!wanted && this.consumer) {
          const consumer = this.consumer;
          this.consumer = undefined;
          await consumer.close();
          this.logger.log({ msg: 'no outbound rules: stopped reading the asset stream' });
        }
      } catch (error) {
        this.logger.warn({
          msg: 'outbound consumer could not switch; retrying',
          err: (error as Error).message,
        });
      }
    });
    return this.switching;
  }

  private async handle(message: BusMessage<AssetEvent>): Promise<void> {
    const event = message.value;
    const sends: Promise<void>[] = [];
    for (const device of this.devices.all()) {
      if (device.spec.tenant !== event.tenant) continue;
      for (const rule of device.spec.outbound ?? []) {
        if (rule.asset !== event.assetId) continue;
        if (rule.attribute !== undefined && rule.attribute !== event.attribute) continue;
        if (rule.mqttTopic) sends.push(this.toMqtt(device.spec.endpoint, rule.mqttTopic, event, device.key));
        if (rule.webhookUrl) sends.push(this.toWebhook(rule.webhookUrl, event, device.key));
      }
    }
    await Promise.all(sends);
  }

  private async toMqtt(endpoint: string | undefined, topic: string, event: AssetEvent, device: string) {
    if (!endpoint?.startsWith('mqtt')) {
      this.fail(device, topic, 'the device has no MQTT endpoint to publish to');
      return;
    }
    try {
      await this.client(endpoint).publishAsync(topic, JSON.stringify(event), { qos: 1 });
      this.stats.sent += 1;
    } catch (error) {
      this.fail(device, topic, (error as Error).message);
    }
  }

  private async toWebhook(url: string, event: AssetEvent, device: string) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`the webhook answered ${response.status}`);
      this.stats.sent += 1;
    } catch (error) {
      this.fail(device, url, (error as Error).message);
    }
  }

  // A webhook that is down must not hold back the asset stream for everyone: logged and counted.
  private fail(device: string, target: string, reason: string) {
    this.stats.failed += 1;
    this.logger.warn({ msg: 'outbound delivery failed', device, target, reason });
  }

  private client(endpoint: string): MqttClient {
    let client = this.clients.get(endpoint);
    if (!client) {
      client = mqtt.connect(endpoint, {
        reconnectPeriod: 1_000,
        clientId: `openfoundry-outbound-${process.pid}-${this.clients.size}`,
      });
      client.on('error', (error) =>
        this.logger.warn({ msg: 'outbound MQTT error', endpoint, err: error.message }),
      );
      this.clients.set(endpoint, client);
    }
    return client;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.switching;
    await this.consumer?.close();
    this.consumer = undefined;
    await Promise.all([...this.clients.values()].map((c) => c.endAsync().catch(() => {})));
    this.clients.clear();
  }
}
