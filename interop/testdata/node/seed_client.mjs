import WebSocket from "ws";

// WebSocketクライアントのインスタンスを作成
const ws = new WebSocket("ws://localhost:8080");

// WebSocket接続が開いた時の処理をイベントリスナーとして登録する
ws.on("open", () => {
  console.log("WebSocket connection opened");
  // サーバーにメッセージを送信する例
  ws.send("Hello from the client!");
});

// サーバーからメッセージを受信した時の処理をイベントリスナーとして登録する
ws.on("message", (message) => {
  if (typeof message === "string") {
    console.log(`Received message: ${message}`);
  } else if (message instanceof Buffer) {
    console.log(`Received binary data: ${message}`);
  }
});

// WebSocket接続が閉じた時の処理をイベントリスナーとして登録する
ws.on("close", () => {
  console.log("WebSocket connection closed");
});

// エラーが発生した時の処理をイベントリスナーとして登録する
ws.on("error", (error) => {
  console.error(`WebSocket error: ${error}`);
});
