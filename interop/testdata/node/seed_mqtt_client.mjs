// The seed document's mqtt.js client (MQTT over WebSocket, written for EMQX), as a JavaScript
// module. The one change from the seed: its TypeScript type annotation
// "const connectOptions: mqtt.IClientOptions" is dropped, so that node runs it without a
// TypeScript compiler. Everything else, the fixed broker address ws://localhost:8083/mqtt and
// the placeholder credentials included, is the seed's; hooks.mjs redirects the address to the
// test's broker.

import mqtt from "mqtt";

// MQTTクライアントのオプション (必要に応じて設定)
const connectOptions = {
  // ランダムなクライアントIDを生成
  clientId: `mqttjs_${Math.random().toString(16).slice(2, 10)}`,
  // EMQXで認証が必要な場合は設定
  username: "<ユーザー名>",
  // EMQXで認証が必要な場合は設定
  password: "<パスワード>",
  // キープアライブ間隔 (秒)
  keepalive: 60,
  // 再接続試行間隔 (ミリ秒)
  reconnectPeriod: 1000,
  // 接続タイムアウト (ミリ秒)
  connectTimeout: 30000,
  will: {
    topic: "client/offline",
    payload: "Client disconnected unexpectedly",
    qos: 0,
    retain: false,
  },
};

// MQTTクライアントの作成
const client = mqtt.connect("ws://localhost:8083/mqtt", connectOptions);

// 接続成功時の処理をイベントリスナーとして登録する
client.on("connect", () => {
  console.log("Connected to EMQX via WebSocket");

  // トピックをサブスクライブする
  const subscribeTopic = "my/topic";
  client.subscribe(subscribeTopic, {qos: 0}, (err) => {
    if (!err) {
      console.log(`Subscribed to topic: ${subscribeTopic}`);
    } else {
      console.error(`Error subscribing to topic ${subscribeTopic}:`, err);
    }
  });

  // メッセージをパブリッシュする
  const publishTopic = "another/topic";
  const message = "Hello from MQTT over WebSocket client!";
  client.publish(publishTopic, message, {qos: 0, retain: false}, (err) => {
    if (!err) {
      console.log(`Published message "${message}" to topic: ${publishTopic}`);
    } else {
      console.error(`Error publishing message to topic ${publishTopic}:`, err);
    }
  });
});

// メッセージ受信時の処理をイベントリスナーとして登録する
client.on("message", (topic, message) => {
  console.log(`Received message on topic "${topic}": ${message.toString()}`);
});

// 切断時の処理をイベントリスナーとして登録する
client.on("disconnect", () => {
  console.log("Disconnected from EMQX");
});

// 再接続時の処理をイベントリスナーとして登録する
client.on("reconnect", () => {
  console.log("Attempting to reconnect to EMQX...");
});

// エラー発生時の処理をイベントリスナーとして登録する
client.on("error", (err) => {
  console.error("MQTT client error:", err);
});
