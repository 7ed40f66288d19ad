global using BlueGreenOperator.Api;
global using BlueGreenOperator.Plugin.Actions;
global using BlueGreenOperator.Plugin.Cli;
global using BlueGreenOperator.Rollout;
