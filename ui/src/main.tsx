import { render } from "preact";
import { App } from "./App";
import "./styles.css";
import { applyStoredTheme } from "./theme";

applyStoredTheme();
render(<App />, document.getElementById("app")!);
