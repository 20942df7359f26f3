//! The real `enrol-sync` server in process on a loopback port (port 0, temp data directory),
//! knowing centre 10001; stopped when dropped.

#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;

use enrol_schema::sync::PacketState;
use enrol_sync::admin::{self, MachineRegistration, OperatorUpdate, PublicationRequest};
use enrol_sync::config::Config;
use enrol_sync::store::Centre;

pub const CENTRE: &str = "10001";

pub struct Server {
    pub addr: SocketAddr,
    pub state: enrol_sync::AppState,
    runtime: tokio::runtime::Runtime,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

impl Server {
    /// A server with centre 10001 and nothing else but its built-in publications.
    pub fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let config = Config {
            data_dir: dir.path().to_owned(),
            admin_token: Some("admin-token-for-tests".into()),
            ..Config::default()
        };
        let state = runtime.block_on(enrol_sync::App::open(config)).unwrap();
        runtime
            .block_on(admin::put_centre(
                &state.store,
                &Centre {
                    id: CENTRE.into(),
                    name: "Centre Mehdia".into(),
                    active: true,
                },
            ))
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        runtime.spawn(enrol_sync::serve(listener, state.clone(), async move {
            let _ = stopped.await;
        }));
        Server {
            addr,
            state,
            runtime,
            _stop: stop,
            _dir: dir,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn key_pem(&self) -> String {
        self.state.key.public_key_pem()
    }

    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Registers machine `id` of centre 10001, approved with `public_key_pem` or, without one,
    /// pending until it onboards.
    pub fn register_machine(&self, id: &str, public_key_pem: Option<String>) {
        let registration = MachineRegistration {
            id: id.into(),
            centre_id: CENTRE.into(),
            name: format!("machine {id}"),
            approve: public_key_pem.is_some(),
            public_key_pem,
        };
        self.block_on(admin::register_machine(&self.state.store, &registration))
            .unwrap();
    }

    /// Creates or changes an operator of centre 10001 (`password` may be left out on a change).
    pub fn put_operator(&self, id: &str, roles: &[&str], password: Option<&str>, active: bool) {
        let update = OperatorUpdate {
            name: format!("Name of {id}"),
            centre_id: CENTRE.into(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            password: password.map(str::to_owned),
            active,
        };
        self.block_on(admin::put_operator(&self.state.store, id, &update))
            .unwrap();
    }

    pub fn publish(&self, kind: &str, name: &str, content: &str) {
        let request = PublicationRequest {
            kind: kind.into(),
            name: name.into(),
            content: content.into(),
        };
        self.block_on(admin::publish(&self.state.store, &request))
            .unwrap();
    }

    /// A new onboarding code for `machine`, valid for `valid_secs`.
    pub fn onboarding_code(&self, machine: &str, valid_secs: i64) -> String {
        self.block_on(enrol_sync::onboarding::issue_code(
            &self.state.store,
            machine,
            valid_secs,
        ))
        .unwrap()
        .code
    }

    pub fn set_state(&self, rid: &str, state: PacketState) {
        self.block_on(admin::set_packet_state(&self.state.store, rid, state))
            .unwrap();
    }
}
