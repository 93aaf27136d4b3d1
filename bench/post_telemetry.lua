-- wrk script: POST one nominal five-channel telemetry record per request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"voltage":28.1,"temperature":21.5,"gyro":0.001,"current":3.2,"wheel_speed":2400,"satellite_id":"sat-1"}'
